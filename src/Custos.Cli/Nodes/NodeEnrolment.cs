using Custos.Cli.Client;
using Custos.Server.Api.Certificates;

namespace Custos.Cli.Nodes;

/// <summary>
/// The node's side of the enrolment protocol, without a session: a fresh challenge, then either the join (the one-time
/// token names the node; the host key signs the challenge, the token and itself) or a sync (the enrolled host key
/// signs the challenge and the node's name). The token and the private key never appear in a message shown to anyone.
/// </summary>
public static class NodeEnrolment
{
    public const string ChallengePath = "v1/nodes/challenge";
    public const string JoinPath = "v1/nodes/join";

    public static string SyncPath(string node) => "v1/nodes/" + Uri.EscapeDataString(node) + "/sync";

    public static async Task<NodeBundleResponse> JoinAsync(ApiClient client, string token, NodeHostKey hostKey, CancellationToken cancellationToken)
    {
        var challenge = await ChallengeAsync(client, cancellationToken);
        var signature = hostKey.SignBase64(NodeProof.JoinMessage(challenge, token, hostKey.PublicKeyLine));
        return await client.SendAsync<NodeBundleResponse>(HttpMethod.Post, JoinPath,
            new NodeJoinRequest(token, hostKey.PublicKeyLine, challenge, signature), cancellationToken);
    }

    public static async Task<NodeBundleResponse> SyncAsync(ApiClient client, string node, NodeHostKey hostKey, string? hostCertificate, CancellationToken cancellationToken)
    {
        var challenge = await ChallengeAsync(client, cancellationToken);
        var signature = hostKey.SignBase64(NodeProof.SyncMessage(challenge, node));
        return await client.SendAsync<NodeBundleResponse>(HttpMethod.Post, SyncPath(node),
            new NodeSyncRequest(challenge, signature, hostCertificate), cancellationToken);
    }

    private static async Task<string> ChallengeAsync(ApiClient client, CancellationToken cancellationToken)
    {
        var answer = await client.SendAsync<NodeChallengeResponse>(HttpMethod.Post, ChallengePath, new { }, cancellationToken);
        return string.IsNullOrEmpty(answer.Challenge)
            ? throw new CliException(ExitCodes.Failure, "the server's challenge is empty")
            : answer.Challenge;
    }
}
