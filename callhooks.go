package openrouter

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// This file is where a call's options meet the request path: doWith runs
// one request under them (the retry engine reads CallMaxRetries and
// CallResendAfterCut from the call's state).

// doWith is do for a call with options: it applies them, bounds the
// request by the call's timeout (released when the answer's body is
// closed), and fills in the call's ResponseInfo.
func (c *Client) doWith(ctx context.Context, sc *stateCtx, method, path string, body []byte, opts []CallOption) (*http.Response, *callState, error) {
	st := &sc.st
	cc, err := newCallConfig(opts)
	if err != nil {
		return nil, st, err
	}
	if cc.maxRetries > c.cfg.maxRetries {
		return nil, st, invalid("CallMaxRetries(%d) is above the client's maximum of %d retries (WithRetry)", cc.maxRetries, c.cfg.maxRetries)
	}
	st.call = cc
	cancel := context.CancelFunc(nil)
	if cc.timeout > 0 && ctx != nil {
		ctx, cancel = c.withTimeout(ctx, cc.timeout, errCallTimeout)
	}
	resp, err := c.send(ctx, sc, method, path, body)
	if err != nil {
		setErrorHeader(err, st)
		if cancel != nil {
			err = timeoutAfter(ctx, cc.timeout, err)
			cancel()
		}
	} else if cancel != nil {
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	}
	cc.record(st, resp, err)
	return resp, st, err
}

// cancelBody releases a call's timeout when its answer's body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// setErrorHeader gives an *APIError answered over HTTP the headers of
// that answer.
func setErrorHeader(err error, st *callState) {
	var e *APIError
	if st.header != nil && errors.As(err, &e) && e.Header == nil && !e.InStream {
		e.Header = st.header
		if st.client != nil {
			e.Header = st.client.redactor().Header(st.header) // a proxy may echo the key
		}
	}
}
