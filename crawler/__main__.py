"""`python -m crawler` is `yrdnews`, for environments without the entry point script."""

from crawler.cli import main

main()
