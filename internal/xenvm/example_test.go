package xenvm_test

import (
	"context"
	"fmt"

	"github.com/xennix/xennix/internal/xenvm"
)

// A test boots Xen with its binary in dom0 and runs checks there; each step has its own
// output and exit code. Not run by go test (it boots a VM): see xen_test.go for that.
func ExampleBoot() {
	res, err := xenvm.Boot(context.Background(), xenvm.Options{
		Files:   map[string]string{"/tmp/xennix": "/usr/bin/xennix"},
		Modules: []string{"dummy"},
		Steps: []xenvm.Step{
			{Name: "verify", Script: "xennix verify"},
			{Name: "guest", Script: "xl create /etc/xen/g.cfg && xl list"},
		},
	})
	if err != nil {
		fmt.Println(err) // wraps xenvm.ErrBoot, with the serial console's tail
		return
	}
	v, _ := res.Step("verify")
	fmt.Println(v.ExitCode, v.Output)
}
