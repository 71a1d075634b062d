package openrouter

import "errors"

// redactImageErrors removes the client's key from the errors of images
// that could not be decoded: they quote parts of the answer (a declared
// type, a URL), which a server or proxy may have filled with what it was
// sent. An error whose text holds the key is replaced by one of the
// redacted text, unwrapping to nothing (the original would still say it).
func (c *Client) redactImageErrors(errs []error) {
	r := c.redactor()
	for i, err := range errs {
		if s := r.String(err.Error()); s != err.Error() {
			errs[i] = errors.New(s)
		}
	}
}
