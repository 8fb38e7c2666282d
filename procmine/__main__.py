import sys

try:
    from procmine.cli import run
except KeyboardInterrupt:  # Ctrl-C while the command line was still loading
    sys.stderr.write("Error: interrupted\n")
    sys.exit(130)

run()
