<?php
echo mail('web@example.com', 'from mod_php', 'body', 'From: web@example.org') ? "sent\n" : "failed\n";
