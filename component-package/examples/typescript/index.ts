import * as pulumi from "@pulumi/pulumi";
import * as awsx from "@pulumi/awsx";
// The SDK `pulumi package add` generated from graviton-llm's component package (sdks/graviton-llm).
import * as graviton from "@graviton/graviton-llm";

const vpc = new awsx.ec2.Vpc("team", { cidrBlock: "10.42.0.0/16", numberOfAvailabilityZones: 2 });

const llm = new graviton.NeuronServingCluster("team-llm", {
    vpcId: vpc.vpcId,
    subnetIds: vpc.privateSubnetIds,
    instanceType: "inf2.24xlarge",
    model: {
        id: "meta-llama/Llama-3.1-8B-Instruct",
        weightsUri: "s3://team-weights/llama-3.1-8b-instruct/",
    },
    maxModelLen: 8192,
    maxNumSeqs: 32,
    allowedCidrs: ["10.42.0.0/16"],
    capacityMode: "on_demand",
    scaling: { mode: "target_tracking", targetValue: 4 },
    apiKeySsmParameter: new pulumi.Config().requireSecret("apiKeyParameter"),
    tags: { Team: "search" },
});

export const endpoint = llm.endpoint;
export const securityGroupId = llm.securityGroup.id;
