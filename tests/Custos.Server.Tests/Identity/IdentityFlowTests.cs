using System.Net;
using Custos.Server.Api.Identity;
using Custos.Server.Tests.Fixtures;

namespace Custos.Server.Tests.Identity;

/// <summary>End-to-end identity flows over real HTTPS against a running server with a controlled clock.</summary>
public sealed class IdentityFlowTests
{
    [Fact]
    public async Task Bootstrap_token_is_one_time_and_the_file_is_removed()
    {
        await using var server = await InProcessServer.StartAsync();
        var token = server.BootstrapToken;
        using var api = server.Api();
        (await api.PostAsync("/v1/auth/bootstrap", new BootstrapRequest(token, "short", "tooshort", null, null)))
            .Expect(HttpStatusCode.BadRequest, "validation");
        var enrolment = (await api.PostAsync("/v1/auth/bootstrap", new BootstrapRequest(token, "admin", IdentityScenario.AdminPassword, null, null)))
            .Expect(HttpStatusCode.Created).As<EnrollmentResponse>();
        Assert.Equal(["admin"], enrolment.User.Roles);
        Assert.StartsWith("otpauth://totp/Custos:admin?", enrolment.Totp!.OtpauthUri, StringComparison.Ordinal);
        Assert.Equal(10, enrolment.RecoveryCodes!.Count);
        Assert.False(enrolment.User.MfaEnrolled); // confirmed by the first login with a code
        Assert.False(File.Exists(Path.Combine(server.DataDir, "bootstrap.token")));

        (await api.PostAsync("/v1/auth/bootstrap", new BootstrapRequest(token, "admin2", IdentityScenario.AdminPassword, null, null)))
            .Expect(HttpStatusCode.Unauthorized, "invalid-token");
        (await api.PostAsync("/v1/auth/bootstrap", new BootstrapRequest("cbt_0000000000000000_" + new string('A', 43), "admin2", IdentityScenario.AdminPassword, null, null)))
            .Expect(HttpStatusCode.Unauthorized, "invalid-token");
    }

    [Fact]
    public async Task Login_needs_a_totp_code_and_a_code_is_accepted_once()
    {
        await using var s = await IdentityScenario.StartAsync();
        using var api = s.Server.Api();
        s.NextStep();
        (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", IdentityScenario.AdminPassword, null, null)))
            .Expect(HttpStatusCode.Unauthorized, "mfa-required");
        var code = s.AdminTotp.CodeAt(s.Now);
        (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", IdentityScenario.AdminPassword, code, null))).Expect(HttpStatusCode.OK);
        // The same code again within its step: a replay.
        (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", IdentityScenario.AdminPassword, code, null)))
            .Expect(HttpStatusCode.Unauthorized, "login-failed");
        // A code of the previous step (inside the ±1 window) is also refused once a newer step was used.
        s.NextStep();
        var fresh = s.AdminTotp.CodeAt(s.Now);
        (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", IdentityScenario.AdminPassword, fresh, null))).Expect(HttpStatusCode.OK);
        (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", IdentityScenario.AdminPassword, s.AdminTotp.CodeAt(s.Now.AddSeconds(-30)), null)))
            .Expect(HttpStatusCode.Unauthorized, "login-failed");
        (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", IdentityScenario.AdminPassword, "12345", null)))
            .Expect(HttpStatusCode.Unauthorized, "login-failed");

        var events = (await s.Admin.GetAsync("/v1/audit/events?type=user.login&limit=1000")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains("otp_replayed", events, StringComparison.Ordinal);
        Assert.DoesNotContain(code, events, StringComparison.Ordinal);
        Assert.DoesNotContain(IdentityScenario.AdminPassword, events, StringComparison.Ordinal);
        var me = (await s.Admin.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK).As<WhoAmIResponse>();
        Assert.True(me.User.MfaEnrolled);
    }

    [Fact]
    public async Task A_recovery_code_logs_in_once()
    {
        await using var s = await IdentityScenario.StartAsync();
        using var api = s.Server.Api();
        var code = s.AdminEnrollment.RecoveryCodes![3];
        (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", IdentityScenario.AdminPassword, null, code.ToUpperInvariant()))).Expect(HttpStatusCode.OK);
        (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", IdentityScenario.AdminPassword, null, code))).Expect(HttpStatusCode.Unauthorized, "login-failed");
    }

    [Fact]
    public async Task Invitation_sets_a_password_and_enrols_totp_once()
    {
        await using var s = await IdentityScenario.StartAsync();
        var created = (await s.Admin.PostAsync("/v1/users", new CreateUserRequest("Alice", "Alice A.", "alice@example.com", null,
            new Dictionary<string, IReadOnlyList<string>> { ["team"] = ["payments"] }, null))).Expect(HttpStatusCode.Created).As<CreateUserResponse>();
        Assert.Equal(["user"], created.User.Roles);
        Assert.StartsWith("cit_", created.Invitation.Token, StringComparison.Ordinal);
        using var anonymous = s.Server.Api();
        (await anonymous.PostAsync("/v1/invitations/accept", new AcceptInvitationRequest(created.Invitation.Token, "password1234", null, null)))
            .Expect(HttpStatusCode.BadRequest, "validation");
        (await anonymous.PostAsync("/v1/invitations/accept", new AcceptInvitationRequest(created.Invitation.Token, "Alice-is-my-name-2026", null, null)))
            .Expect(HttpStatusCode.BadRequest, "validation");
        var enrolment = (await anonymous.PostAsync("/v1/invitations/accept", new AcceptInvitationRequest(created.Invitation.Token, IdentityScenario.UserPassword, null, null)))
            .Expect(HttpStatusCode.OK).As<EnrollmentResponse>();
        (await anonymous.PostAsync("/v1/invitations/accept", new AcceptInvitationRequest(created.Invitation.Token, IdentityScenario.UserPassword, null, null)))
            .Expect(HttpStatusCode.Unauthorized, "invalid-token");

        // Names are case-insensitive: "alice" logs in as Alice; "ALICE" cannot be created again.
        using var alice = await s.LoginAsync("alice", new Authenticator(enrolment.Totp!.Secret));
        var me = (await alice.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK).As<WhoAmIResponse>();
        Assert.Equal("Alice", me.User.Name);
        Assert.Equal(["payments"], me.User.Traits["team"]);
        (await s.Admin.PostAsync("/v1/users", new CreateUserRequest("ALICE", null, null, null, null, null))).Expect(HttpStatusCode.Conflict, "name-taken");
        // Nobody sees a secret: the admin's view of Alice has no TOTP secret or password hash.
        var view = (await s.Admin.GetAsync("/v1/users/alice")).Expect(HttpStatusCode.OK).Body;
        Assert.DoesNotContain(enrolment.Totp.Secret, view, StringComparison.Ordinal);
        Assert.DoesNotContain("argon2", view, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_user_and_wrong_password_get_identical_answers()
    {
        await using var s = await IdentityScenario.StartAsync();
        using var api = s.Server.Api();
        var wrong = (await api.PostAsync("/v1/auth/login", new LoginRequest("admin", "not the password at all", null, null))).Expect(HttpStatusCode.Unauthorized);
        var unknown = (await api.PostAsync("/v1/auth/login", new LoginRequest("nobody", "not the password at all", null, null))).Expect(HttpStatusCode.Unauthorized);
        Assert.Equal(wrong.Node["type"]!.ToString(), unknown.Node["type"]!.ToString());
        Assert.Equal(wrong.Node["detail"]!.ToString(), unknown.Node["detail"]!.ToString());
        Assert.Equal(wrong.Node["title"]!.ToString(), unknown.Node["title"]!.ToString());
    }

    [Fact]
    public async Task Repeated_failures_lock_the_user_from_that_source_until_an_admin_unlocks()
    {
        await using var s = await IdentityScenario.StartAsync();
        var bob = await s.AddUserAsync("bob");
        using var api = s.Server.Api();
        for (var i = 0; i < 4; i++)
            (await api.PostAsync("/v1/auth/login", new LoginRequest("bob", "wrong password number " + i, null, null))).Expect(HttpStatusCode.Unauthorized, "login-failed");
        var locked = (await api.PostAsync("/v1/auth/login", new LoginRequest("bob", "wrong password number 5", null, null))).Expect(HttpStatusCode.TooManyRequests, "locked-out");
        Assert.True(locked.RetryAfter > TimeSpan.Zero);
        // Even the right password is refused during the lockout.
        s.NextStep();
        (await api.PostAsync("/v1/auth/login", new LoginRequest("bob", IdentityScenario.UserPassword, bob.CodeAt(s.Now), null))).Expect(HttpStatusCode.TooManyRequests, "locked-out");
        var shown = (await s.Admin.GetAsync("/v1/users/bob")).Expect(HttpStatusCode.OK).As<UserDto>();
        Assert.Equal("bob", shown.Name);

        (await s.Admin.PostAsync("/v1/users/bob/unlock")).Expect(HttpStatusCode.NoContent);
        using var _ = await s.LoginAsync("bob", bob);
        var audit = (await s.Admin.GetAsync("/v1/audit/events?type=user.*&limit=1000")).Expect(HttpStatusCode.OK).Body;
        Assert.Contains("user.lockout", audit, StringComparison.Ordinal);
        Assert.Contains("user.unlock", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lockout_expires_by_itself_and_doubles_when_it_recurs()
    {
        await using var s = await IdentityScenario.StartAsync();
        var carol = await s.AddUserAsync("carol");
        using var api = s.Server.Api();
        for (var i = 0; i < 5; i++) await api.PostAsync("/v1/auth/login", new LoginRequest("carol", "wrong password number " + i, null, null));
        var first = (await api.PostAsync("/v1/auth/login", new LoginRequest("carol", "x wrong password", null, null))).Expect(HttpStatusCode.TooManyRequests);
        Assert.InRange(first.RetryAfter!.Value.TotalSeconds, 1, 60);
        s.Server.Time.Advance(TimeSpan.FromSeconds(61));
        for (var i = 0; i < 5; i++) await api.PostAsync("/v1/auth/login", new LoginRequest("carol", "wrong password again " + i, null, null));
        var second = (await api.PostAsync("/v1/auth/login", new LoginRequest("carol", "x wrong password", null, null))).Expect(HttpStatusCode.TooManyRequests);
        Assert.InRange(second.RetryAfter!.Value.TotalSeconds, 61, 120);
        s.Server.Time.Advance(TimeSpan.FromSeconds(121));
        using var _ = await s.LoginAsync("carol", carol);
    }

    [Fact]
    public async Task Revoking_a_session_takes_effect_on_the_next_request()
    {
        await using var s = await IdentityScenario.StartAsync();
        var dave = await s.AddUserAsync("dave");
        using var first = await s.LoginAsync("dave", dave);
        using var second = await s.LoginAsync("dave", dave);
        var me = (await first.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK).As<WhoAmIResponse>();
        var list = (await s.Admin.GetAsync("/v1/sessions?user=dave")).Expect(HttpStatusCode.OK).As<SessionListResponse>();
        Assert.Equal(2, list.Sessions.Count);

        (await s.Admin.DeleteAsync("/v1/sessions/" + me.Session.Id)).Expect(HttpStatusCode.NoContent);
        var refused = (await first.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains("Bearer", refused.WwwAuthenticate, StringComparison.Ordinal);
        (await second.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK);

        (await second.PostAsync("/v1/auth/logout")).Expect(HttpStatusCode.NoContent);
        (await second.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Suspending_a_user_revokes_every_session_at_once_and_the_last_admin_stays()
    {
        await using var s = await IdentityScenario.StartAsync();
        var erin = await s.AddUserAsync("erin");
        using var erinApi = await s.LoginAsync("erin", erin);
        (await erinApi.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK);
        var suspended = (await s.Admin.PostAsync("/v1/users/erin/suspend")).Expect(HttpStatusCode.OK).As<UserDto>();
        Assert.Equal("suspended", suspended.Status);
        (await erinApi.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized);
        s.NextStep();
        using var anonymous = s.Server.Api();
        (await anonymous.PostAsync("/v1/auth/login", new LoginRequest("erin", IdentityScenario.UserPassword, erin.CodeAt(s.Now), null)))
            .Expect(HttpStatusCode.Forbidden, "identity-inactive");
        (await s.Admin.PostAsync("/v1/users/erin/resume")).Expect(HttpStatusCode.OK);
        using var again = await s.LoginAsync("erin", erin);

        (await s.Admin.PostAsync("/v1/users/admin/suspend")).Expect(HttpStatusCode.Conflict, "last-administrator");
        (await s.Admin.PostAsync("/v1/users/admin/disable")).Expect(HttpStatusCode.Conflict, "last-administrator");
        (await s.Admin.DeleteAsync("/v1/users/admin")).Expect(HttpStatusCode.Conflict, "last-administrator");
        (await s.Admin.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Sessions_expire_and_sensitive_actions_need_a_recent_mfa_check()
    {
        await using var s = await IdentityScenario.StartAsync();
        s.Server.Time.Advance(TimeSpan.FromMinutes(6));
        (await s.Admin.PostAsync("/v1/users", new CreateUserRequest("frank", null, null, ["admin"], null, null)))
            .Expect(HttpStatusCode.Forbidden, "mfa-step-up-required");
        // A plain user needs no step-up.
        (await s.Admin.PostAsync("/v1/users", new CreateUserRequest("grace", null, null, null, null, null))).Expect(HttpStatusCode.Created);
        (await s.Admin.SendAsync(HttpMethod.Patch, "/v1/users/grace", new UpdateUserRequest(null, null, ["admin", "user"], null, null)))
            .Expect(HttpStatusCode.Forbidden, "mfa-step-up-required");
        s.NextStep();
        (await s.Admin.PostAsync("/v1/auth/mfa/verify", new StepUpRequest(s.AdminTotp.CodeAt(s.Now), null))).Expect(HttpStatusCode.OK);
        (await s.Admin.PostAsync("/v1/users", new CreateUserRequest("frank", null, null, ["admin"], null, null))).Expect(HttpStatusCode.Created);
        var grace = (await s.Admin.SendAsync(HttpMethod.Patch, "/v1/users/grace", new UpdateUserRequest(null, null, ["admin", "user"], null, null)))
            .Expect(HttpStatusCode.OK).As<UserDto>();
        Assert.Equal(["admin", "user"], grace.Roles);
        (await s.Admin.SendAsync(HttpMethod.Patch, "/v1/users/grace", new UpdateUserRequest("G", null, null, null, 1)))
            .Expect(HttpStatusCode.Conflict, "stale-revision");

        s.Server.Time.Advance(TimeSpan.FromHours(8));
        (await s.Admin.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task Password_change_needs_the_current_password_and_ends_other_sessions()
    {
        await using var s = await IdentityScenario.StartAsync();
        var heidi = await s.AddUserAsync("heidi");
        using var one = await s.LoginAsync("heidi", heidi);
        using var two = await s.LoginAsync("heidi", heidi);
        (await one.PostAsync("/v1/auth/password", new ChangePasswordRequest("wrong current password", "another strong passphrase 9", null)))
            .Expect(HttpStatusCode.Forbidden, "password-wrong");
        (await one.PostAsync("/v1/auth/password", new ChangePasswordRequest(IdentityScenario.UserPassword, "another strong passphrase 9", null)))
            .Expect(HttpStatusCode.NoContent);
        (await one.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.OK);
        (await two.GetAsync("/v1/auth/whoami")).Expect(HttpStatusCode.Unauthorized);
        using var _ = await s.LoginAsync("heidi", heidi, "another strong passphrase 9");
    }

    [Fact]
    public async Task Password_reset_invitation_needs_the_current_code()
    {
        await using var s = await IdentityScenario.StartAsync();
        var ivan = await s.AddUserAsync("ivan");
        using var _ = await s.LoginAsync("ivan", ivan); // confirms the enrolment
        var reset = (await s.Admin.PostAsync("/v1/users/ivan/reset-password")).Expect(HttpStatusCode.OK).As<InvitationDto>();
        using var anonymous = s.Server.Api();
        (await anonymous.PostAsync("/v1/invitations/accept", new AcceptInvitationRequest(reset.Token, "brand new passphrase 2027", null, null)))
            .Expect(HttpStatusCode.BadRequest, "validation");
        s.NextStep();
        (await anonymous.PostAsync("/v1/invitations/accept", new AcceptInvitationRequest(reset.Token, "brand new passphrase 2027", null, ivan.CodeAt(s.Now))))
            .Expect(HttpStatusCode.OK);
        using var after = await s.LoginAsync("ivan", ivan, "brand new passphrase 2027");
    }
}
