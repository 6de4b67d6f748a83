package xrpc

import (
	"encoding/json"
	"net/http"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/plc"
)

// plcOperationRoutes are the methods by which an account's holder has the
// pod sign and submit PLC operations for their DID: the identity step of
// a move off this pod with standard tools. As the reference PDS, they
// take a full session (or a privileged app password), and an OAuth grant
// only with identity:* (the whole identity).
func (s *Server) plcOperationRoutes() {
	s.handle("com.atproto.identity.requestPlcOperationSignature", http.MethodPost, userFull, requestPLCSignature).scopes(identityAny)
	s.handle("com.atproto.identity.signPlcOperation", http.MethodPost, userFull, signPLCOperation).scopes(identityAny)
	s.handle("com.atproto.identity.submitPlcOperation", http.MethodPost, userFull, submitPLCOperation).scopes(identityAny)
}

// requestPLCSignature issues the caller a token for signPlcOperation
// (written to the pod's log: this pod sends no mail).
func requestPLCSignature(c *call) (any, error) {
	return struct{}{}, c.s.pds.RequestPLCOperationSignature(c.ctx, c.caller.DID)
}

// signPLCOperation answers {token, rotationKeys?, alsoKnownAs?,
// verificationMethods?, services?} with {operation}: the next operation
// of the caller's DID, signed by the pod's rotation key, not submitted.
func signPLCOperation(c *call) (any, error) {
	var in pds.PLCChange
	if err := c.input(&in); err != nil {
		return nil, err
	}
	op, err := c.s.pds.SignPLCOperation(c.ctx, c.caller.DID, in)
	if err != nil {
		return nil, err
	}
	return map[string]*plc.Operation{"operation": op}, nil
}

// submitPLCOperation submits {operation}, a signed operation for the
// caller's DID, to its directory.
func submitPLCOperation(c *call) (any, error) {
	var in struct {
		Operation json.RawMessage `json:"operation"`
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	if len(in.Operation) == 0 || string(in.Operation) == "null" {
		return nil, rhizome.E("read input", rhizome.Invalid, "operation is required")
	}
	op, err := plc.ParseOperationJSON(in.Operation)
	if err != nil {
		return nil, rhizome.Errorf("read input", rhizome.Invalid, "Invalid operation: %v", err)
	}
	return struct{}{}, c.s.pds.SubmitPLCOperation(c.ctx, c.caller.DID, op)
}
