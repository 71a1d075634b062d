package openrouter

// CallOption configures one call of a Client method, without a second
// Client (which would get a limiter and spending total of its own). Every
// method that sends a request takes ...CallOption last.
type CallOption interface {
	applyCall(*callConfig) error
}

// callConfig is what a call's options set; the zero value is the client's
// behaviour.
type callConfig struct{}

// newCallConfig applies opts in order; the first error refuses the call
// before anything is sent.
func newCallConfig(opts []CallOption) (*callConfig, error) {
	if len(opts) == 0 {
		return nil, nil
	}
	cc := &callConfig{}
	for _, o := range opts {
		if o == nil {
			return nil, invalid("nil CallOption")
		}
		if err := o.applyCall(cc); err != nil {
			return nil, invalid("%v", err)
		}
	}
	return cc, nil
}
