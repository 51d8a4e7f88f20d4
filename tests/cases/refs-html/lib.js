console.log("lib");
