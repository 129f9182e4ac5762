package iso

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
)

// TestMediaAnswerSizes writes and reads back answers of many sizes around sector and
// kilobyte boundaries: go-diskfs v1.9.4's FAT32 reader over-reads some of them.
func TestMediaAnswerSizes(t *testing.T) {
	for _, n := range []int{1, 100, 511, 512, 513, 700, 819, 1000, 1023, 1024, 1025, 2047, 4096, 5000, 65537} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "a.img")
			data := bytes.Repeat([]byte("x"), n)
			if err := WriteAnswersMedia(p, data, 0); err != nil {
				t.Fatal(err)
			}
			got, err := ReadAnswersMedia(p)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("ReadAnswersMedia = %d bytes, %v; want the %d written", len(got), err, n)
			}
		})
	}
}
