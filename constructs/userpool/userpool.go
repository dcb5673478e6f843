// Package userpool makes the Cognito user pool that signs users in, with the settings a
// security review expects: strong passwords, MFA, no self-service sign-up by default,
// deletion protection, retention and a managed-login domain.
package userpool

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/example/notesplatform/constructs/removal"
)

// UserPool is the user pool and its managed-login domain.
type UserPool struct {
	constructs.Construct
	// UserPool is the pool (construct id "Resource").
	UserPool awscognito.IUserPool
	// Domain is the managed-login (OAuth 2.0) domain.
	Domain awscognito.UserPoolDomain
	// DomainURL is the https base URL of the OAuth 2.0 endpoints.
	DomainURL *string
}

// Props configures the user pool.
type Props struct {
	// DomainPrefix is the managed-login domain prefix, unique per region. Required.
	DomainPrefix string
	// MFA is the multi-factor setting (TOTP apps). Default: MFARequired.
	MFA MFA
	// ThreatProtection enforces Cognito threat protection (Plus feature plan). Default: false.
	ThreatProtection bool
	// SelfSignUp lets anyone create an account. Default: false, administrators invite users.
	SelfSignUp bool
	// Destroy deletes the pool with the stack and turns deletion protection off
	// (non-production only). Default: false.
	Destroy bool
}

// MFA is whether users sign in with a second factor (a TOTP app).
type MFA string

// The MFA settings.
const (
	MFAOff      MFA = "off"
	MFAOptional MFA = "optional"
	MFARequired MFA = "required"
)

var prefixPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

func (p *Props) validate() error {
	var errs []error
	if !prefixPattern.MatchString(p.DomainPrefix) {
		errs = append(errs, fmt.Errorf("userpool: DomainPrefix %q: allowed is 1-63 lower-case letters, digits or '-'", p.DomainPrefix))
	}
	if p.MFA != "" && !slices.Contains([]MFA{MFAOff, MFAOptional, MFARequired}, p.MFA) {
		errs = append(errs, fmt.Errorf(`userpool: MFA %q: allowed are "off", "optional", "required"`, p.MFA))
	}
	return errors.Join(errs...)
}

// New makes the user pool.
func New(scope constructs.Construct, id string, props *Props) *UserPool {
	if props == nil {
		props = &Props{}
	}
	if err := props.validate(); err != nil {
		panic(err)
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	mfa := awscognito.Mfa_REQUIRED
	switch props.MFA {
	case MFAOff:
		mfa = awscognito.Mfa_OFF
	case MFAOptional:
		mfa = awscognito.Mfa_OPTIONAL
	}
	up := &awscognito.UserPoolProps{
		SelfSignUpEnabled:   jsii.Bool(props.SelfSignUp),
		SignInAliases:       &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:          &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		SignInCaseSensitive: jsii.Bool(false),
		AccountRecovery:     awscognito.AccountRecovery_EMAIL_ONLY,
		Mfa:                 mfa,
		MfaSecondFactor:     &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(12),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		DeletionProtection: jsii.Bool(!props.Destroy),
		RemovalPolicy:      removal.Policy(props.Destroy),
		FeaturePlan:        awscognito.FeaturePlan_ESSENTIALS,
	}
	if props.ThreatProtection {
		up.FeaturePlan = awscognito.FeaturePlan_PLUS
		up.StandardThreatProtectionMode = awscognito.StandardThreatProtectionMode_FULL_FUNCTION
	}
	pool := awscognito.NewUserPool(c, jsii.String("Resource"), up)
	domain := pool.AddDomain(jsii.String("Domain"), &awscognito.UserPoolDomainOptions{
		CognitoDomain: &awscognito.CognitoDomainOptions{DomainPrefix: jsii.String(props.DomainPrefix)},
	})
	return &UserPool{Construct: c, UserPool: pool, Domain: domain, DomainURL: domain.BaseUrl(nil)}
}
