"""Running the build over chunks of documents: workers, cache, rows, statistics, digests."""
