module tenant-platform/pause

go 1.26.0
