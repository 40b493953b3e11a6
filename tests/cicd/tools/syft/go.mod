module tweetstack/tests/cicd/tools/syft

go 1.26.8
