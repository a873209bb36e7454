from hotwash.cli import app

app()
