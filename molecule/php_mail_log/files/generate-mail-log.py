"""Write a PHP mail.log of N lines from scripts with random weights; print the true counts as JSON."""
import datetime
import json
import random
import sys

path, lines, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
scripts = ['/var/www/site%02d/%s.php' % (n, rng.choice(['contact', 'form', 'wp-mail', 'cron'])) for n in range(30)]
weights = [rng.randint(1, 1000) for _unused in scripts]
counts = dict.fromkeys(scripts, 0)
moment = datetime.datetime(2026, 11, 1)
with open(path, 'w') as log:
    for number, script in enumerate(rng.choices(scripts, weights, k=lines)):
        counts[script] += 1
        moment += datetime.timedelta(seconds=number % 3)
        log.write('[%s UTC] mail() on [%s:%d]: To: user%d@example.com -- Headers: From: a@example.org'
                  ' -- Subject: hello %d\n' % (moment.strftime('%d-%b-%Y %H:%M:%S'), script, number % 300 + 1,
                                               number, number))
        if number % 10000 == 0:
            log.write('[%s UTC] PHP Warning:  something unrelated in %s on line 1\n'
                      % (moment.strftime('%d-%b-%Y %H:%M:%S'), script))
json.dump(sorted(counts.items(), key=lambda item: -item[1]), sys.stdout)
