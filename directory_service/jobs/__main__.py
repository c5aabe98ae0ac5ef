"""`python -m directory_service.jobs`: the background job runner (docs/jobs.md)."""
from directory_service.jobs.cli import main

if __name__ == "__main__":
    main()
