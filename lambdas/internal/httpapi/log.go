package httpapi

import (
	"io"
	"log/slog"
)

// NewLogger returns the JSON logger every function uses, so CloudWatch Logs Insights can
// query fields (requestId, status, route) instead of parsing text.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
