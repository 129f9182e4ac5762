package installer

import "github.com/xennix/xennix/hwdetect"

// newPlan resolves the answers on the machine and plans the install, as the session does.
func newPlan(a Answers, r hwdetect.Report, o PlanOptions) (Plan, error) {
	h, err := Resolve(a, &r)
	if err != nil {
		return Plan{}, err
	}
	return NewPlan(h, o)
}
