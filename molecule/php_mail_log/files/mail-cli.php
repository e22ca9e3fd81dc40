<?php
mail('cli@example.com', 'from php-cli', 'body', 'From: cron@example.org');
