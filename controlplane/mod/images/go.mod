module podgate.local/images

go 1.26
