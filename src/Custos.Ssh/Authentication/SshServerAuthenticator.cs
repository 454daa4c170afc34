using Custos.Ssh.Keys;

namespace Custos.Ssh.Authentication;

/// <summary>RFC 4252 outcome of one authentication method.</summary>
public enum AuthenticationResult
{
    Failure,
    /// <summary>This method succeeded but more are required (RFC 4252 §5.1 partial success), e.g. key then MFA.</summary>
    PartialSuccess,
    Success,
}

/// <summary>What the server knows about the user being authenticated on one connection.</summary>
public sealed class SshAuthenticationContext
{
    internal SshAuthenticationContext(string userName, System.Net.EndPoint? remoteEndPoint, byte[] sessionId)
    {
        UserName = userName;
        RemoteEndPoint = remoteEndPoint;
        SessionId = sessionId;
    }

    public string UserName { get; }
    public System.Net.EndPoint? RemoteEndPoint { get; }
    public ReadOnlyMemory<byte> SessionId { get; }

    /// <summary>Methods that already succeeded (partially) on this connection.</summary>
    public ISet<string> CompletedMethods { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The key or certificate whose signature was verified, once publickey succeeded.</summary>
    public SshPublicKey? AuthenticatedKey { get; internal set; }

    /// <summary>Free slot for the authenticator (e.g. the expected MFA answer, the validated certificate).</summary>
    public object? State { get; set; }
}

/// <summary>One keyboard-interactive round (RFC 4256 §3.2), or the final result.</summary>
public sealed record KeyboardInteractiveStep
{
    public AuthenticationResult? Result { get; init; }
    public string Name { get; init; } = "";
    public string Instruction { get; init; } = "";
    public IReadOnlyList<(string Prompt, bool Echo)> Prompts { get; init; } = [];

    public static KeyboardInteractiveStep Finish(AuthenticationResult result) => new() { Result = result };

    public static KeyboardInteractiveStep Ask(string name, string instruction, params (string Prompt, bool Echo)[] prompts) =>
        new() { Name = name, Instruction = instruction, Prompts = prompts };
}

/// <summary>
/// The server's authentication decisions (RFC 4252/4256). The protocol layer verifies signatures and
/// message shapes; the caller (the gateway) decides who gets in. Every default refuses.
/// </summary>
public abstract class SshServerAuthenticator
{
    /// <summary>Methods offered in USERAUTH_FAILURE for this user, given what has already succeeded.</summary>
    public virtual IReadOnlyList<string> GetMethods(SshAuthenticationContext context) => ["publickey", "keyboard-interactive"];

    /// <summary>
    /// Decides about a public key or certificate. Called with <paramref name="signatureVerified"/> false for a
    /// query (RFC 4252 §7: Success means "acceptable") and true once the signature has been checked.
    /// Certificates arrive as issue 5's certificate type; validate them with its validator.
    /// </summary>
    public virtual ValueTask<AuthenticationResult> AuthenticatePublicKeyAsync(SshAuthenticationContext context, SshPublicKey key, bool signatureVerified, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AuthenticationResult.Failure);

    /// <summary>Starts keyboard-interactive (RFC 4256 §3.1).</summary>
    public virtual ValueTask<KeyboardInteractiveStep> BeginKeyboardInteractiveAsync(SshAuthenticationContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(KeyboardInteractiveStep.Finish(AuthenticationResult.Failure));

    /// <summary>Receives the answers to the previous step's prompts (RFC 4256 §3.4).</summary>
    public virtual ValueTask<KeyboardInteractiveStep> ContinueKeyboardInteractiveAsync(SshAuthenticationContext context, IReadOnlyList<string> responses, CancellationToken cancellationToken) =>
        ValueTask.FromResult(KeyboardInteractiveStep.Finish(AuthenticationResult.Failure));
}
