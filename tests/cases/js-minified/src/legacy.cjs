module.exports = { count: 3 };
