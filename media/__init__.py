"""Everything that touches media bytes. The only layer that runs ffmpeg and ffprobe."""
