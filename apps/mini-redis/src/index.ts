import { hello } from "@periscope/tracing";
const x: number = 1;
console.log(hello, x);
