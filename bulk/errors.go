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

// ErrNotJournaled is in the error of an item whose value was paid for but
// could not be recorded in the journal (a full disk, say): the item ends
// Failed with its value in the Report, and the run stops.
var ErrNotJournaled error = &hintedError{
	msg:  "bulk: not recorded in the journal",
	hint: "Free the journal's disk (or fix its store) before running again: the items named were paid for, and their values are in the Report only; a run with this journal would pay for them again.",
}
