"""Discovery: where the publication's articles are, and which to fetch again."""
