"""Interpreter wrapper for one test task: run the module with python3 and record its peak RSS (KiB)."""
import resource
import subprocess
import sys

code = subprocess.call(['/usr/bin/python3'] + sys.argv[1:])
with open('/var/tmp/module-peak-rss', 'a') as out:
    out.write('%d\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(code)
