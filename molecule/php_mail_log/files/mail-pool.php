<?php
$user = posix_getpwuid(posix_geteuid())['name'];
echo mail('pool@example.com', 'from pool ' . $user, 'body', 'From: ' . $user . '@example.org') ? "sent\n" : "failed\n";
