"""Write directory_service/schemas/language_names.json from babel's locale data (after a
babel upgrade; tests/test_language_param.py says when the file no longer matches)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from directory_service.schemas import language  # noqa: E402

language.write_names()
print(f"wrote {language.NAMES_FILE}")
