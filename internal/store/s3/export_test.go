package s3

// SetDirect turns reading ranges on connections of their own (rawget.go)
// on or off, so that tests cover minio-go's way as well.
func SetDirect(s *Store, on bool) { s.direct = on }
