// Command s3direct writes or reads one file straight to or from an S3
// store with minio-go, as a client would without FlaxFile: the baseline
// of bench/s3.sh.
//
//	s3direct -endpoint http://127.0.0.1:8333 -bucket B put FILE OBJECT
//	s3direct -endpoint http://127.0.0.1:8333 -bucket B get OBJECT FILE
//
// Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (none for
// a store that asks for none).
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:8333", "the S3 endpoint")
	bucket := flag.String("bucket", "flaxfile-test", "the bucket")
	flag.Parse()
	if err := run(*endpoint, *bucket, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "s3direct:", err)
		os.Exit(1)
	}
}

func run(endpoint, bucket string, args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: s3direct [-endpoint URL] [-bucket B] put FILE OBJECT | get OBJECT FILE")
	}
	ep, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	c, err := minio.New(ep.Host, &minio.Options{Creds: credentials.NewEnvAWS(), Secure: ep.Scheme == "https", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return err
	}
	ctx := context.Background()
	switch args[0] {
	case "put":
		_, err = c.FPutObject(ctx, bucket, args[2], args[1], minio.PutObjectOptions{ContentType: "application/octet-stream"})
	case "get":
		err = c.FGetObject(ctx, bucket, args[1], args[2], minio.GetObjectOptions{})
	default:
		err = fmt.Errorf("%q: want put or get", args[0])
	}
	return err
}
