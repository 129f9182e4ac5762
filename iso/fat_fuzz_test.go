package iso

import "testing"

// FuzzReadAnswers runs the answers-media reader over arbitrary media: img padded with
// zeros to size bytes (at most 64 MiB), so that a seed can be a real image without its
// empty tail. The seed corpus (testdata/fuzz/FuzzReadAnswers) holds the damaged images
// TestReadAnswersMediaDamaged builds; regenerate it with
// `go test ./iso -run TestReadAnswersMediaDamaged -update`. The reader must not panic,
// must stay within its read budget, and must either return at most MaxAnswersSize bytes
// or an error that says something.
func FuzzReadAnswers(f *testing.F) {
	f.Add([]byte{}, uint32(0))
	f.Add(make([]byte, 512), uint32(1<<20))
	f.Fuzz(func(t *testing.T, img []byte, size uint32) {
		total := max(int64(len(img)), int64(size%(64<<20)))
		r := &countingReader{b: img}
		data, err := readAnswers(r, total)
		if n := r.read.Load(); n > mediaReadBudget {
			t.Fatalf("read %d bytes, over the budget of %d", n, mediaReadBudget)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("an empty error")
			}
			if len(err.Error()) > 4096 {
				t.Fatalf("an error of %d bytes", len(err.Error()))
			}
			return
		}
		if len(data) > MaxAnswersSize {
			t.Fatalf("returned %d bytes, more than MaxAnswersSize", len(data))
		}
	})
}
