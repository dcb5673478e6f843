// Package appclient makes the Cognito app client of a single-page app: a public client
// (a browser cannot keep a secret) that signs in with the authorization-code flow and
// PKCE, revokes refresh tokens on sign-out, and hides whether a user exists.
package appclient

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AppClient is the user pool client, made directly under the given id so that its
// logical id (and so the client id every deployed config.json names) stays stable.
type AppClient struct {
	awscognito.UserPoolClient
	urls *urlCheck
}

// Props configures the client.
type Props struct {
	// UserPool the client signs users in to. Required.
	UserPool awscognito.IUserPool
	// Name is shown in the Cognito console. Required: 1-128 characters.
	Name string
	// TokenValidity is how long ID and access tokens last. Default: 60 minutes.
	TokenValidity time.Duration
	// RefreshTokenValidity is how long a sign-in lasts without a password. Default: 1 day.
	RefreshTokenValidity time.Duration
}

var namePattern = regexp.MustCompile(`^[\w\s+=,.@-]{1,128}$`)

func (p *Props) withDefaults() Props {
	out := *p
	out.TokenValidity = cmp.Or(out.TokenValidity, time.Hour)
	out.RefreshTokenValidity = cmp.Or(out.RefreshTokenValidity, 24*time.Hour)
	return out
}

func (p *Props) validate() error {
	var errs []error
	if p.UserPool == nil {
		errs = append(errs, errors.New("appclient: UserPool is required"))
	}
	if !namePattern.MatchString(p.Name) {
		errs = append(errs, fmt.Errorf("appclient: Name %q: allowed is 1-128 letters, digits, spaces or + = , . @ _ -", p.Name))
	}
	// Cognito's limits: tokens 5 minutes to 1 day, refresh tokens 1 hour to 10 years.
	if p.TokenValidity < 5*time.Minute || p.TokenValidity > 24*time.Hour || p.TokenValidity%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("appclient: TokenValidity %s: allowed is whole minutes from 5m to 24h", p.TokenValidity))
	}
	if p.RefreshTokenValidity < time.Hour || p.RefreshTokenValidity > 3650*24*time.Hour || p.RefreshTokenValidity%time.Minute != 0 {
		errs = append(errs, fmt.Errorf("appclient: RefreshTokenValidity %s: allowed is whole minutes from 1h to 3650 days", p.RefreshTokenValidity))
	}
	return errors.Join(errs...)
}

// New makes the client. Call SetURLs once the site's URL is known: synth fails without it.
func New(scope constructs.Construct, id string, props *Props) *AppClient {
	if props == nil {
		props = &Props{}
	}
	p := props.withDefaults()
	if err := p.validate(); err != nil {
		panic(err)
	}
	minutes := func(d time.Duration) awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(d.Minutes())) }
	refresh := awscdk.Duration_Days(jsii.Number(p.RefreshTokenValidity.Hours() / 24))
	if p.RefreshTokenValidity%(24*time.Hour) != 0 {
		refresh = minutes(p.RefreshTokenValidity)
	}
	client := awscognito.NewUserPoolClient(scope, jsii.String(id), &awscognito.UserPoolClientProps{
		UserPool:                   p.UserPool,
		UserPoolClientName:         jsii.String(p.Name),
		GenerateSecret:             jsii.Bool(false), // a browser cannot keep a secret: PKCE instead
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		AuthFlows:                  &awscognito.AuthFlow{UserSrp: jsii.Bool(true)},
		IdTokenValidity:            minutes(p.TokenValidity),
		AccessTokenValidity:        minutes(p.TokenValidity),
		RefreshTokenValidity:       refresh,
		SupportedIdentityProviders: &[]awscognito.UserPoolClientIdentityProvider{awscognito.UserPoolClientIdentityProvider_COGNITO()},
		// Callback and sign-out URLs come from SetURLs, once the site exists.
		OAuth: &awscognito.OAuthSettings{
			Flows:  &awscognito.OAuthFlows{AuthorizationCodeGrant: jsii.Bool(true)},
			Scopes: &[]awscognito.OAuthScope{awscognito.OAuthScope_OPENID(), awscognito.OAuthScope_EMAIL(), awscognito.OAuthScope_PROFILE()},
		},
	})
	check := &urlCheck{}
	client.Node().AddValidation(check)
	return &AppClient{UserPoolClient: client, urls: check}
}

// urlCheck fails synthesis when SetURLs was never called: a client without callback URLs
// cannot sign anyone in. A pointer with a pointer receiver, as jsii requires.
type urlCheck struct{ set bool }

// Validate is called by CDK at synthesis.
func (c *urlCheck) Validate() *[]*string {
	if c.set {
		return &[]*string{}
	}
	return jsii.Strings("appclient: no callback URLs: call SetURLs with the site's URLs")
}

// SetURLs makes the site's URLs the callback and sign-out URLs (the SPA uses its own
// origin for both); the first is the default redirect. Each must be https, except
// http://localhost, as Cognito requires. URLs that are still tokens are checked by
// Cognito at deploy.
func (c *AppClient) SetURLs(urls ...*string) {
	if len(urls) == 0 {
		panic(errors.New("appclient: SetURLs needs at least one URL"))
	}
	var errs []error
	for i, u := range urls {
		if u == nil || *awscdk.Token_IsUnresolved(u) {
			continue
		}
		if !strings.HasPrefix(*u, "https://") && !strings.HasPrefix(*u, "http://localhost") {
			errs = append(errs, fmt.Errorf("appclient: URL %d %q: allowed is https://... or http://localhost...", i, *u))
		}
	}
	if err := errors.Join(errs...); err != nil {
		panic(err)
	}
	cfn := c.Node().DefaultChild().(awscognito.CfnUserPoolClient)
	cfn.SetCallbackUrLs(&urls)
	cfn.SetLogoutUrLs(&urls)
	cfn.SetDefaultRedirectUri(urls[0])
	c.urls.set = true
}
