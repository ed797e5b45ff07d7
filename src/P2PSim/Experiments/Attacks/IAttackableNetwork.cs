namespace P2PSim.Experiments.Attacks;

/// <summary>A network the attack workload can attack: real nodes on real sockets (<see cref="TcpExperimentNetwork"/>).</summary>
internal interface IAttackableNetwork
{
    /// <summary>What the attacks of <paramref name="workload"/> see of this network, with a generator of their own.</summary>
    AttackContext AttackContext(AttackWorkload workload, Random random);
}
