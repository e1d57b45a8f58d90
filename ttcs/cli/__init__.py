"""Command line (typer): the top layer, above flows/ and tasks/."""
