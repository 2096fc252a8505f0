"""A team stack that builds its own network and puts the cluster in its private subnets.

VPC with a public subnet (NAT gateway for image and S3 downloads) and two private subnets; the
cluster gets the VPC's ids as Pulumi Outputs and validates everything else at preview time.
"""

import pulumi
import pulumi_aws as aws

from graviton_llm import NeuronServingCluster

ZONES = ["us-east-1a", "us-east-1b"]

vpc = aws.ec2.Vpc("team", cidr_block="10.42.0.0/16", enable_dns_hostnames=True)
igw = aws.ec2.InternetGateway("team", vpc_id=vpc.id)
public = aws.ec2.Subnet(
    "team-public", vpc_id=vpc.id, cidr_block="10.42.0.0/24", availability_zone=ZONES[0]
)
public_routes = aws.ec2.RouteTable(
    "team-public",
    vpc_id=vpc.id,
    routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
)
aws.ec2.RouteTableAssociation("team-public", subnet_id=public.id, route_table_id=public_routes.id)
nat = aws.ec2.NatGateway(
    "team", subnet_id=public.id, allocation_id=aws.ec2.Eip("team-nat", domain="vpc").id
)
private_routes = aws.ec2.RouteTable(
    "team-private",
    vpc_id=vpc.id,
    routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
)
# Weights (141 GB for a 70B model) come from S3: a gateway endpoint keeps them off the NAT
# gateway, whose data processing is charged per GB.
aws.ec2.VpcEndpoint(
    "team-s3",
    vpc_id=vpc.id,
    service_name="com.amazonaws.us-east-1.s3",
    vpc_endpoint_type="Gateway",
    route_table_ids=[private_routes.id],
)
private_subnets = []
for index, zone in enumerate(ZONES):
    subnet = aws.ec2.Subnet(
        f"team-private-{zone}",
        vpc_id=vpc.id,
        cidr_block=f"10.42.{index + 10}.0/24",
        availability_zone=zone,
    )
    aws.ec2.RouteTableAssociation(
        f"team-private-{zone}", subnet_id=subnet.id, route_table_id=private_routes.id
    )
    private_subnets.append(subnet)

cluster = NeuronServingCluster(
    "team-llm",
    {
        "vpc_id": vpc.id,
        "subnet_ids": [s.id for s in private_subnets],
        "instance_type": "inf2.24xlarge",
        "model": {
            "id": "meta-llama/Llama-3.1-8B-Instruct",
            "weights_uri": "s3://team-model-weights/llama-3.1-8b-instruct/",
        },
        "max_model_len": 8192,
        "max_num_seqs": 32,
        "max_num_batched_tokens": 8192,
        "allowed_cidrs": ["10.42.0.0/16"],
        "min_size": 2,
        "max_size": 4,
        "desired_capacity": 2,
        "tags": {"Team": "search", "Environment": "staging"},
    },
)

pulumi.export("endpoint", cluster.endpoint)
pulumi.export("vpc_id", vpc.id)
