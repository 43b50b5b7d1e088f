"""`python -m promptlang` is `popsc`."""

from promptlang.cli import main

if __name__ == "__main__":
    main()
