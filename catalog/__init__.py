"""The domain and its store: settings, models, queries. Knows nothing of HTTP or ffmpeg."""
