<?php
echo mail('fpm@example.com', 'from php-fpm', 'body', 'From: fpm@example.org') ? "sent\n" : "failed\n";
