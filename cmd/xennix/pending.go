package main

import "fmt"

// errNotBuilt is what parts that exist in the design but not yet in this build return:
// they say so plainly instead of pretending.
func errNotBuilt(what string) error {
	return fmt.Errorf("%s is not built yet in this version of xennix; see README.md for what works today", what)
}
