package api

// JSONSchema renders the schema as the draft-04 JSON Schema document that API Gateway
// validates request bodies with: what the Backend stack writes into the template's
// AWS::ApiGateway::Model (test/artifact holds the two equal), and what the local server
// validates with, so the gateway and the local server judge bodies by one model. Objects
// carry $schema and always say whether additional properties are allowed; zero limits
// are left out, as the Backend stack leaves them out.
func (s *Schema) JSONSchema() map[string]any {
	if s == nil {
		return nil
	}
	out := map[string]any{"type": string(s.Type)}
	if s.Type == TypeObject {
		out["$schema"] = "http://json-schema.org/draft-04/schema#"
		out["additionalProperties"] = s.AdditionalProperties
		props := map[string]any{}
		for name, p := range s.Properties {
			props[name] = p.JSONSchema()
		}
		out["properties"] = props
		if len(s.Required) > 0 {
			req := make([]any, len(s.Required))
			for i, r := range s.Required {
				req[i] = r
			}
			out["required"] = req
		}
	}
	if s.MinLength > 0 {
		out["minLength"] = float64(s.MinLength)
	}
	if s.MaxLength > 0 {
		out["maxLength"] = float64(s.MaxLength)
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}
	if s.MaxItems > 0 {
		out["maxItems"] = float64(s.MaxItems)
	}
	if s.UniqueItems {
		out["uniqueItems"] = true
	}
	if s.Items != nil {
		out["items"] = s.Items.JSONSchema()
	}
	return out
}
