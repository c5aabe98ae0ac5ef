"""The indexer: loads directory files into the search store and swaps atomically."""
