package bulk

// ErrSpendingCap is what stops a run at its SpendingCap. openrouter.Hint
// finds its remediation through its Hint method.
var ErrSpendingCap error = &hintedError{
	msg:  "bulk: spending cap reached",
	hint: "The run stopped before an item that would likely pass its spending cap: raise Runner.SpendingCap, or run the remaining items (Report.Remaining) later.",
}

// hintedError is a sentinel that carries its remediation.
type hintedError struct{ msg, hint string }

func (e *hintedError) Error() string { return e.msg }

// Hint returns what the program should tell its user to do.
func (e *hintedError) Hint() string { return e.hint }
