"""Image storage behind the ``ImageStore`` port: S3 in production, local files in the embedded default."""
