"""`python -m seatrial`: the CLI, for processes that start Seatrial with this interpreter."""

from seatrial.cli import main

main(prog_name="seatrial")
