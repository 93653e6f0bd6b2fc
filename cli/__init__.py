"""`kg`: the command line. Every command of every part lives here, in one dialect
(cli/output.py); `cli/app.py` lists them all."""
