package openrouter

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// redirectError is a redirect the client refused to follow: to another
// origin (where the API key would go), or one that changes the method (a
// 301, 302 or 303 turns a POST into a GET, whose answer is not the
// call's).
type redirectError struct {
	status int
	why    string
}

func (e *redirectError) Error() string {
	return fmt.Sprintf("the server answered %d, %s: not followed", e.status, e.why)
}

const redirectHint = "The server redirected the API call: check the base URL (WithBaseURL), its scheme (https) and its path (https://openrouter.ai/api/v1), and any proxy between the program and OpenRouter."

// checkRedirect returns the redirect policy of API calls: a redirect is
// followed only to the same origin (scheme, host and port) and with the
// same method (a 307 or 308, whose body the client replays); then next,
// the caller's own policy, when it has one, or net/http's limit of 10.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		e := &redirectError{}
		if req.Response != nil {
			e.status = req.Response.StatusCode
		}
		if to := origin(req.URL); to != origin(first.URL) {
			e.why = "a redirect to another origin (" + to + "), where the API key would go"
			return e
		}
		if req.Method != first.Method {
			e.why = "a redirect that would send the " + first.Method + " again as a " + req.Method
			return e
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// origin is u's scheme://host:port, with the scheme's default port made
// explicit, so that http://h and http://h:80 are one origin.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
