package apigateway

import (
	"strconv"
	"time"
)

// IDToken is a Cognito ID token as the user pool authorizer of a REST API reads it: the
// claims it passes on to the function.
type IDToken struct {
	Subject, Username, Email, Issuer, Audience, TokenUse string
	EmailVerified                                        bool
	AuthTime, IssuedAt, ExpiresAt                        time.Time
	// EventID, JTI and OriginJTI are passed on when set (Cognito's tokens have them).
	EventID, JTI, OriginJTI string
}

// cognitoDate is how the authorizer writes iat and exp: Java's Date.toString, in UTC
// ("Thu May 04 03:50:06 UTC 2023", the day of the month in two digits).
const cognitoDate = "Mon Jan 02 15:04:05 MST 2006"

// Claims are t's claims as the Cognito user pool authorizer of a REST API puts them in
// requestContext.authorizer.claims: every value a string, auth_time in Unix seconds, iat
// and exp as dates. Both the local issuer and the artifact tests pass claims in this
// form, so the handlers never see claims that the deployed API would not send.
func (t IDToken) Claims() map[string]any {
	c := map[string]any{
		"sub":              t.Subject,
		"cognito:username": t.Username,
		"email":            t.Email,
		"email_verified":   strconv.FormatBool(t.EmailVerified),
		"iss":              t.Issuer,
		"aud":              t.Audience,
		"token_use":        t.TokenUse,
		"auth_time":        strconv.FormatInt(t.AuthTime.Unix(), 10),
		"iat":              t.IssuedAt.UTC().Format(cognitoDate),
		"exp":              t.ExpiresAt.UTC().Format(cognitoDate),
	}
	for k, v := range map[string]string{"event_id": t.EventID, "jti": t.JTI, "origin_jti": t.OriginJTI} {
		if v != "" {
			c[k] = v
		}
	}
	return c
}
