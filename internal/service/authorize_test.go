package service_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"irflow/internal/incident"
	"irflow/internal/service"
	"irflow/workflows"
)

// TestEveryMethodHasAPermission walks every exported method of Service: each must
// take an action of the permission table, so a new method cannot skip the check.
func TestEveryMethodHasAPermission(t *testing.T) {
	typ := reflect.TypeOf(&service.Service{})
	actions := service.MethodActions()
	for i := range typ.NumMethod() {
		name := strings.TrimPrefix(typ.Method(i).Name, "Start")
		a, ok := actions[name]
		if !ok {
			t.Errorf("Service.%s has no action in the permission table", typ.Method(i).Name)
			continue
		}
		if len(incident.Permissions[a]) == 0 {
			t.Errorf("Service.%s takes action %q, which no role may take", typ.Method(i).Name, a)
		}
	}
}

func identity(id string, roles ...incident.Role) context.Context {
	return incident.WithIdentity(context.Background(), incident.Identity{User: incident.User{ID: id, Display: strings.ToUpper(id), Roles: roles}, Via: incident.ViaAPI})
}

// TestRolesAreEnforcedAndAudited: a viewer approving a step, a responder waiving
// an obligation and a disabled commander are refused before anything reaches
// Temporal, and the refusals are audited; an allowed action carries the verified
// actor, whatever the body said.
func TestRolesAreEnforcedAndAudited(t *testing.T) {
	svc, store, ft := newService(t, now)
	svc.Users = store
	const id = "INC-20260306-005"
	ft.Results[workflows.UpdateApproveStep] = incident.StepState{}

	_, err := svc.ApproveStep(identity("victor", incident.RoleViewer), id, incident.ApproveStepRequest{Step: "suspend", Actor: "victor"})
	wantCode(t, "viewer approves", err, incident.EFORBIDDEN, "victor may not approve_step", "commander")
	_, err = svc.Waive(identity("rita", incident.RoleResponder), id, "eu-gdpr-33-sa", incident.WaiveRequest{Actor: "rita", Reason: "x"})
	wantCode(t, "responder waives", err, incident.EFORBIDDEN, "rita may not waive", "legal")
	disabled := incident.WithIdentity(context.Background(), incident.Identity{User: incident.User{ID: "carl", Roles: []incident.Role{incident.RoleCommander}, Disabled: true}, Via: incident.ViaAPI})
	_, err = svc.ApproveStep(disabled, id, incident.ApproveStepRequest{Step: "suspend", Actor: "carl"})
	wantCode(t, "disabled commander", err, incident.EFORBIDDEN, "disabled")
	if n := len(ft.Updates()); n != 0 {
		t.Fatalf("%d Updates reached Temporal for refused actions", n)
	}

	// A forged actor in the body is replaced by the verified one.
	if _, err := svc.ApproveStep(identity("alice", incident.RoleCommander), id, incident.ApproveStepRequest{Step: "suspend", Actor: "mallory"}); err != nil {
		t.Fatal(err)
	}
	req, ok := ft.Updates()[0].Args[0].(incident.ApproveStepRequest)
	if !ok || req.Actor != "alice" || req.By == nil || req.By.ID != "alice" || req.By.Via != incident.ViaAPI || req.By.Display != "ALICE" {
		t.Fatalf("sent %+v, want it attributed to alice via api", ft.Updates()[0].Args[0])
	}

	log, err := store.AuditLog(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range log {
		got = append(got, e.ActorID+" "+string(e.Action)+" "+map[bool]string{true: "allowed", false: "refused"}[e.Allowed])
	}
	want := []string{"alice approve_step allowed", "carl approve_step refused", "rita waive refused", "victor approve_step refused"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("audit log = %v, want %v", got, want)
	}

	// Without a verified identity (the operator's CLI) the named actor is kept, via cli.
	if _, err := svc.ApproveStep(context.Background(), id, incident.ApproveStepRequest{Step: "suspend", Actor: "ops"}); err != nil {
		t.Fatal(err)
	}
	if req := ft.Updates()[1].Args[0].(incident.ApproveStepRequest); req.By == nil || req.By.ID != "ops" || req.By.Via != incident.ViaCLI {
		t.Errorf("operator request = %+v", req)
	}
	// A viewer may read but not declare.
	if _, err := svc.List(identity("victor", incident.RoleViewer), incident.ListFilter{}); err != nil {
		t.Errorf("viewer list: %v", err)
	}
	_, err = svc.Declare(identity("victor", incident.RoleViewer), service.DeclareRequest{Playbook: "credential-compromise", Title: "t", Actor: "victor"})
	wantCode(t, "viewer declares", err, incident.EFORBIDDEN, "declare")
}
