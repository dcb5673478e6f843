package e2e

import (
	"context"
	"strings"

	"github.com/chromedp/chromedp"
)

func chromedpReload() chromedp.Action[chromedp.Void] { return chromedp.Reload() }

type pageResponse struct {
	status int64
	csp    string
}

// navigateResponse navigates and returns the main document's status and CSP header.
func navigateResponse(b *tab, url string) pageResponse {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		b.fatal("navigate to %s: %v", url, err)
	}
	pr := pageResponse{status: resp.Status}
	for k, v := range resp.Headers {
		if strings.EqualFold(k, "Content-Security-Policy") {
			if s, ok := v.(string); ok {
				pr.csp = s
			}
		}
	}
	return pr
}
