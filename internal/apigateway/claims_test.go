package apigateway

import (
	"testing"
	"time"
)

func TestIDTokenClaimsAreStringsAsCognitosAuthorizerPassesThem(t *testing.T) {
	iat := time.Date(2023, 5, 4, 3, 50, 6, 0, time.FixedZone("CEST", 2*3600))
	c := IDToken{Subject: "s", TokenUse: "id", EmailVerified: true, AuthTime: iat, IssuedAt: iat, ExpiresAt: iat.Add(time.Hour), JTI: "j"}.Claims()
	for k, want := range map[string]string{
		"iat": "Thu May 04 01:50:06 UTC 2023", "exp": "Thu May 04 02:50:06 UTC 2023",
		"auth_time": "1683165006", "email_verified": "true", "jti": "j", "sub": "s",
	} {
		if c[k] != want {
			t.Errorf("%s = %v, want %q", k, c[k], want)
		}
	}
	for k, v := range c {
		if _, ok := v.(string); !ok {
			t.Errorf("%s is %T, want a string", k, v)
		}
	}
	if _, ok := c["event_id"]; ok {
		t.Error("an empty event_id is passed on")
	}
}
